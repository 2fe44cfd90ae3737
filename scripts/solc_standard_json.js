// Runs the pinned solc-js compiler on a standard-JSON input read from stdin and writes the
// standard-JSON output to stdout. Every source is passed in the input, so imports never
// touch the file system and the output depends on the input and the compiler alone.
"use strict";

const solc = require("solc");

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const input = Buffer.concat(chunks).toString("utf8");
  const output = solc.compile(input, {
    import: (path) => ({ error: `import not among the given sources: ${path}` }),
  });
  process.stdout.write(JSON.stringify({ solcVersion: solc.version(), output: JSON.parse(output) }));
});

"""What `credbank up --demo` prints about the credit bank part of the demo: where to see
the registry, the learner's account and application, the decision credential and its
offline check, the archive and the review queues. No key or password: the first run
prints those once, above. And the learning-code part: the learner's code and points
pages, the operator's scanning page and key, the anchored attendance record's check."""

from __future__ import annotations

from pathlib import Path

from api.cli.demo_checkin import CheckinDemo
from api.cli.demo_recognition import BANK, FILES_DIR, RecognitionDemo
from api.service.data_dir import CONFIG_FILE, PIN_FILE

_GOV = '-H "Authorization: Bearer $GOV"'
_KEY = '-H "Authorization: Bearer $KEY"'
_LEARNER = '-H "Authorization: Bearer $TOKEN"'


def recognition_lines(base: str, data_dir: Path, shown: RecognitionDemo,
                      login: str = "zhangwei") -> list[str]:
    if shown.skipped is not None:
        return ["", f"Credit bank demo left out: {shown.skipped}"]
    data = data_dir.resolve()
    files = shown.files or data / FILES_DIR
    slug = BANK[0]
    return [
        "",
        f"Credit bank (学分银行) demo: {slug} signs for the credit bank (credit_bank in "
        f"{data / CONFIG_FILE})",
        f"  framework       {base}/v1/registry/framework      ({shown.framework})",
        f"  standards       {base}/v1/registry/standards      ({', '.join(shown.standards)})",
        f"  rule sets       {base}/v1/registry/rule-sets      ({shown.rule_set}, "
        f"hash {shown.rule_set_hash} on chain)",
        f"  learner         {login} at {base}/login, then {base}/account (totals by unit, "
        "the decision)",
        f"  application     {base}/v1/learner/recognition/applications/{shown.application}",
        f"  decision        {base}/v1/learner/credentials/{shown.decision}",
        f"  archive         {base}/v1/learner/archive  ({base}/v1/learner/archive.pdf?lang=en)",
        "The learner's routes take a session token:",
        f"  TOKEN=$(curl -s {base}/v1/learner/session -H 'Content-Type: application/json' "
        f"-d '{{\"login\": \"{login}\", \"password\": \"…\"}}' | python3 -c "
        "'import json, sys; print(json.load(sys.stdin)[\"token\"])')",
        f"  curl -s {base}/v1/learner/summary {_LEARNER}",
        f"  curl -s {base}/v1/learner/archive {_LEARNER} -o archive.json",
        "Review queues (GOV: the governor key; KEY: open-university's key, for applications "
        "toward its programme):",
        f"  curl -s '{base}/v1/admin/recognition/applications?state=approved' {_GOV}",
        f"  curl -s {base}/v1/recognition/applications {_KEY}",
        f"The decision, checked offline (its sources and rule set are in {files}):",
        f"  curl -s {base}/v1/trust-bundle -o trust.json",
        f"  credbank-verify {files / 'decision.json'} --source {files / 'source-1.json'} "
        f"--source {files / 'source-2.json'} --rules {files / 'rules.json'} "
        f"--trust trust.json --pin {data / PIN_FILE}",
    ]


def learning_code_lines(base: str, data_dir: Path, shown: CheckinDemo,
                        login: str = "zhangwei") -> list[str]:
    lines = ["", f"Learning code (申学码): {shown.checkins} check-ins yesterday at two venues, "
             f"each credited with points under the published rules ({shown.rules_hash})",
             f"  learner's code  {base}/account/code  (signed in as {login})",
             f"  points          {base}/account/points  (6 hours of community learning earn "
             "an award: today's activity brings them)",
             f"  operator key    {shown.operator_key}  ({shown.venue}'s, shown this once; "
             f"sign in at {base}/venue)",
             f"  scanning page   {base}/venue/scan?activity={shown.today_activity}"]
    if shown.record is not None:
        pin = data_dir.resolve() / PIN_FILE
        lines += [f"Yesterday anchored on chain ({', '.join(shown.anchored)}); {login}'s "
                  f"attendance record (also at {base}/v1/learner/attendance), checked offline:",
                  f"  credbank-verify {shown.record.resolve()} --pin {pin}"]
    return lines

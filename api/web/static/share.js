// The share form: presets tick a set of fields, and the preview shows what the person
// opening the link will see. The form works without this script (its preview then shows
// the fields ticked when the page was drawn).
(function () {
  "use strict";
  var form = document.getElementById("share-form");
  if (!form) {
    return;
  }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=reveal]"));
  var rows = Array.prototype.slice.call(form.querySelectorAll(".preview-row"));
  var nameHidden = document.getElementById("preview-name-hidden");
  var names = Array.prototype.slice.call(form.querySelectorAll(".choice.name input"));

  function refresh() {
    var chosen = {};
    boxes.forEach(function (box) { chosen[box.value] = box.checked; });
    rows.forEach(function (row) { row.hidden = !chosen[row.dataset.pointer]; });
    if (nameHidden) {
      nameHidden.hidden = names.some(function (box) { return box.checked; });
    }
  }

  boxes.forEach(function (box) { box.addEventListener("change", refresh); });
  var presets = document.getElementById("presets");
  if (presets) {
    presets.hidden = false;
    presets.querySelectorAll("button[data-pointers]").forEach(function (button) {
      button.addEventListener("click", function () {
        var wanted = button.dataset.pointers.split(" ");
        boxes.forEach(function (box) { box.checked = wanted.indexOf(box.value) >= 0; });
        refresh();
      });
    });
  }
  refresh();
})();

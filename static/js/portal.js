// Behaviour that used to sit in inline on* attributes, which the Content-Security-Policy forbids.
// <select data-autosubmit data-clear="street community"> submits its form on change, first emptying the named fields.
document.addEventListener("change", function (event) {
  var field = event.target.closest("[data-autosubmit]");
  if (!field || !field.form) {
    return;
  }
  (field.dataset.clear || "").split(/\s+/).filter(Boolean).forEach(function (name) {
    var other = field.form.elements.namedItem(name);
    if (other) {
      other.value = "";
    }
  });
  field.form.submit();
});

// <button data-confirm="…"> asks before an irreversible step (a decision, a closure); Cancel sends nothing.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// An inspection form shows only the checklist of the chosen inspection type (fieldset.checklist[data-kind]).
function showChecklist(form) {
  var kind = form.elements.namedItem("kind");
  if (!kind) return;
  form.querySelectorAll("fieldset.checklist").forEach(function (set) {
    set.hidden = set.dataset.kind !== kind.value;
  });
}
document.addEventListener("change", function (event) {
  if (event.target.name === "kind" && event.target.form && event.target.form.querySelector("fieldset.checklist")) {
    showChecklist(event.target.form);
  }
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form").forEach(function (form) {
    if (form.querySelector("fieldset.checklist")) showChecklist(form);
  });
});

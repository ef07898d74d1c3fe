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

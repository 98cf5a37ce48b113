// The replay's version slider: show the version as soon as it is chosen (arrow
// keys, a drag), by submitting its form, which htmx then sends and swaps in.
// Without this script the form's own button does the same.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target && target.id === "versie" && target.form) {
    target.form.requestSubmit();
  }
});

// "/" focuses the search box from anywhere, unless the user is typing in a field.
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) return;
  var box = document.getElementById("q");
  if (box) { event.preventDefault(); box.focus(); box.select(); }
});

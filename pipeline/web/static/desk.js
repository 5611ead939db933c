// Keyboard shortcuts on the clerk's pages; everything also works with the mouse and without JavaScript.
// Keys: A accept, R reject, 1-9 a rejection reason, N skip, G whole page, / the reason field.
(function () {
  "use strict";
  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var key = event.key.toLowerCase();
    var select = document.getElementById("reason_choice");
    if (key >= "1" && key <= "9" && select && document.getElementById("decision")) {
      var index = parseInt(key, 10);
      if (index < select.options.length) {
        select.selectedIndex = index;
        event.preventDefault();
      }
      return;
    }
    if (key === "/" && document.getElementById("reason")) {
      document.getElementById("reason").focus();
      event.preventDefault();
      return;
    }
    var target = document.querySelector('[data-key="' + key + '"]');
    if (!target) {
      return;
    }
    event.preventDefault();
    target.click();
  });
}());

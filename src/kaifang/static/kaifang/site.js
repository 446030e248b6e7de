// Behaviour every page shares, kept out of the HTML so the Content-Security-Policy can refuse inline script
// and event-handler attributes. Listeners sit on the document, so content swapped in by htmx gets them too.
(function () {
  "use strict";
  // <select data-autosubmit> submits its form when the choice changes (a <noscript> button covers no-JS).
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el instanceof HTMLElement && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
  });
})();

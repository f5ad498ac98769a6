// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // VEX form: show the justification only when "not affected" is chosen.
  var form = document.getElementById("vex-form");
  if (form) {
    var field = form.querySelector("[data-when-status]");
    var update = function () {
      var chosen = form.querySelector("input[name=status]:checked");
      var show = !chosen || chosen.value === field.getAttribute("data-when-status");
      field.hidden = !show;
      form.querySelector("select[name=justification]").required = !!chosen && show;
    };
    form.addEventListener("change", update);
    update();
  }
  // Buttons that ask before doing something that cannot be undone.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (event) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // Copy buttons for one-time links.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (target && navigator.clipboard) {
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          button.textContent = "Copied";
        });
      }
    });
  });
})();

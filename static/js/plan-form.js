// The plan form without the terms of other models: a nicety only, the form works without it.
// A fieldset with a message in it stays in view, so no error is ever hidden.
(function () {
  "use strict";
  var model = document.getElementById("model");
  if (!model) {
    return;
  }
  var groups = document.querySelectorAll("[data-plan-models]");
  function show() {
    groups.forEach(function (group) {
      var wanted = group.getAttribute("data-plan-models").split(" ");
      var invalid = group.querySelector(".is-invalid") !== null;
      group.hidden = wanted.indexOf(model.value) === -1 && !invalid;
    });
  }
  model.addEventListener("change", show);
  show();
})();

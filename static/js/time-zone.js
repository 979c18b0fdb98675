// Pre-selects the browser's own time zone in an empty time-zone choice; the person confirms it.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  document.querySelectorAll("select[data-browser-time-zone]").forEach(function (select) {
    if (select.value || !zone) {
      return;
    }
    for (var i = 0; i < select.options.length; i += 1) {
      if (select.options[i].value === zone) {
        select.value = zone;
        return;
      }
    }
  });
})();

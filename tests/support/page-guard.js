// Records uncaught errors and unhandled rejections of this document in window.__tpxErrors, for
// engines whose driver does not report page errors (WebKit over WebDriver classic). Loaded as the
// first classic script of a test page, or evaluated by tests/support/webkit.mjs after each load.
(function () {
  if (window.__tpxErrors) return;
  var errors = (window.__tpxErrors = []);
  window.addEventListener('error', function (e) {
    errors.push('pageerror: ' + (e.error && e.error.message ? e.error.message : e.message) + ' at ' + e.filename + ':' + e.lineno);
  });
  window.addEventListener('unhandledrejection', function (e) {
    errors.push('unhandledrejection: ' + (e.reason && e.reason.message ? e.reason.message : String(e.reason)));
  });
})();

// The script-tag build defines the global `touchpoint`; init options come from the query as in
// tests/browser/pages/sdk.js. Errors reported through on('error') are kept in window.errors.
(function () {
  var q = new URLSearchParams(location.search);
  window.errors = [];
  touchpoint.on('error', function (e) { window.errors.push({ code: e.code, message: e.message }); });
  window.touchpointReady = touchpoint.init({ writeKey: q.get('writeKey') || 'umd-test', endpoint: location.origin, autotrack: false })
    .then(function () { return true; }, function (e) { return String(e); });
})();

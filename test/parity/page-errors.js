// Collects the page's uncaught errors and unhandled rejections in
// window.pageErrors, which every driver can read (WebDriver classic has no
// page-error event). A classic script before the page's module, so that it
// sees that module fail as well.
window.pageErrors = [];
addEventListener('error', (event) => window.pageErrors.push(event.message || String(event.error)));
addEventListener('unhandledrejection', (event) => window.pageErrors.push(`unhandled rejection: ${event.reason}`));

// Applies the saved colour theme before the page is painted (classic script,
// loaded synchronously from <head>). Without a saved choice the page follows
// the system's prefers-color-scheme through CSS alone.
(function () {
  try {
    var saved = window.localStorage.getItem('verbatim-theme');
    if (saved === 'light' || saved === 'dark') {
      document.documentElement.setAttribute('data-theme', saved);
    }
  } catch (e) {
    /* localStorage unavailable (private mode, file://): keep the system theme */
  }
})();

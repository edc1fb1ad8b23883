(() => {
  if (window.sosScrollableTables) return;
  window.sosScrollableTables = true;
  let timer = null;
  const mark = () => {
    timer = null;
    for (const wrapper of document.querySelectorAll(
      '[data-testid="stTable"] > div:not([tabindex])'
    )) {
      const caption = wrapper.querySelector("caption");
      wrapper.tabIndex = 0;
      wrapper.setAttribute("role", "region");
      wrapper.setAttribute(
        "aria-label", (caption ? caption.textContent + ": " : "") + "table, may scroll sideways"
      );
    }
  };
  const soon = () => {
    if (timer === null) timer = window.setTimeout(mark, 100);
  };
  new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
  soon();
})();

(() => {
  // ui.close_menu_on_phones: after a page is chosen, close the sidebar where it covers the page.
  if (!window.matchMedia("(max-width: 768px)").matches) return;
  const sidebar = window.document.querySelector('[data-testid="stSidebar"]');
  if (!sidebar || sidebar.getAttribute("data-collapsed") === "true") return;
  const close = sidebar.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (close) close.click();
})();

// Verbatim's page script: "Show on page" asks the app for the page image, "Copy citation" copies plain text.
// Nothing here reaches outside the page's own origin.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.vb-page, a.vb-copy");
  if (!link) return;
  event.preventDefault();
  // what a link carries is in its address, after "#vb-page:" or "#vb-copy:" (the chat keeps no data- attributes)
  const address = link.getAttribute("href") || "";
  const carried = decodeURIComponent(address.slice(address.indexOf(":") + 1));
  if (link.classList.contains("vb-copy")) {
    const done = () => { link.textContent = "Copied"; setTimeout(() => { link.textContent = "Copy citation"; }, 1500); };
    if (navigator.clipboard) navigator.clipboard.writeText(carried).then(done, () => {});
    return;
  }
  const box = document.querySelector("#vb-page-request textarea, #vb-page-request input");
  const go = document.querySelector("#vb-page-go");
  if (!box || !go) return;
  box.value = carried;
  box.dispatchEvent(new Event("input", { bubbles: true }));
  setTimeout(() => go.click(), 60);
  const view = document.querySelector("#vb-page-view");
  if (view) view.scrollIntoView({ behavior: "smooth", block: "nearest" });
});

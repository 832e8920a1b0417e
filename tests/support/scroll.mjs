// Scrolling in browser tests, deterministic: scroll positions are whole pixels, so "scroll to
// exactly 40 %" usually lands a fraction short (39 % once floored) unless the content height
// happens to be a multiple of 5. scrollTo() rounds the target up, waits for fonts (a late font
// re-lays the page out), for the scroll event and for the animation frame autotrack measures in,
// and returns the percent actually reached, computed the way autotrack computes it.

// `selector`: an inner scroll container; none: the document.
export function scrollTo(page, percent, selector = null) {
  return page.evaluate(async ([p, sel]) => {
    if (document.fonts && document.fonts.ready) await document.fonts.ready;
    const el = sel ? document.querySelector(sel) : null;
    const box = el || document.documentElement;
    const visible = el ? el.clientHeight : window.innerHeight;
    const top = () => (el ? el.scrollTop : window.scrollY);
    const target = Math.min(box.scrollHeight - visible, Math.max(0, Math.ceil((box.scrollHeight * p) / 100 - visible)));
    const reached = () => {
      const h = el ? el.scrollHeight : Math.max(document.documentElement.scrollHeight, document.body.scrollHeight);
      const seen = top() + visible;
      return seen >= h - 2 ? 100 : Math.floor((seen * 100) / h);
    };
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    if (Math.abs(top() - target) >= 1) {
      // Capturing on window, like autotrack: its frame callback is requested first and runs first.
      const scrolled = new Promise((r) => window.addEventListener('scroll', () => r(), { capture: true, once: true }));
      if (el) el.scrollTop = target; else window.scrollTo(0, target);
      await scrolled;
    }
    await frame();
    return reached();
  }, [percent, selector]);
}

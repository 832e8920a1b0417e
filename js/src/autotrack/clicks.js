// Clicks. Declarative: the click target or its nearest ancestor with data-tp-event="name" sends
// that event with its other data-tp-* attributes as properties. A bare data-tp-event (no value)
// sends element_clicked like autocapture does, named after the element (its id, else its CSS
// path), even with autocapture off: the marker says "track this one". Autocapture (off by default):
// links and buttons send element_clicked {tag, path, text, href, id}. It never reads a form field's
// value: no .value anywhere, inputs give no text, and an element that contains a field or editable
// content (or sits in one) gives no text either. [data-tp-ignore] opts a subtree out of
// autocapture, and out of the text of a bare data-tp-event.
import { cleanUrl, cssPath, dataProps, defaultName, listen } from './util.js';

const MAX_TEXT = 64; // characters of link/button text, whitespace collapsed
const CLICKABLE = 'a[href],button,[role=button],input[type=submit],input[type=button],input[type=reset]';

// {tag, path, text?, href?, id?} of a clicked element; the text only where no field can be in it.
function clickProps(el) {
  const props = { tag: el.localName, path: cssPath(el) };
  if (el.localName !== 'input' && !el.isContentEditable && !el.closest('[contenteditable],[data-tp-ignore]') &&
      !el.querySelector('input,textarea,select,[contenteditable]')) {
    const text = (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, MAX_TEXT);
    if (text) props.text = text;
  }
  if (typeof el.href === 'string' && el.href) props.href = cleanUrl(el.href);
  const id = el.getAttribute('id');
  if (id) props.id = id;
  return props;
}

export function installClicks(api, declarative, autocapture, note) {
  // Capturing on document: an app calling stopPropagation() does not hide the click.
  return listen(document, 'click', (e) => {
    const t = e.target;
    if (!t || !t.closest) return;
    const d = declarative && t.closest('[data-tp-event]');
    if (d) {
      const name = d.getAttribute('data-tp-event');
      if (name) return api.track(name, dataProps(d));
      const dflt = defaultName(d);
      note(d, 'name', `data-tp-event without a value on ${cssPath(d)}: sent as element_clicked named "${dflt.name}" (its ${dflt.from === 'id' ? 'id' : 'CSS path'})`);
      api.track('element_clicked', { ...dataProps(d), ...clickProps(d), name: dflt.name });
      return;
    }
    const el = autocapture && t.closest(CLICKABLE);
    if (!el || el.closest('[data-tp-ignore]')) return;
    api.track('element_clicked', clickProps(el));
  }, true);
}

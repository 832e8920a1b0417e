// Forms: form_submit {id, name, action (path), method, fields, ...data-tp-*} on every submit
// event. It never reads a field: no values, no field names; `fields` counts the visible fields
// (input except submit/button/reset/image/hidden, select, textarea). Attributes are read with
// getAttribute: on a form, `.name` or `.action` can be a field called "name" or "action".
import { dataProps, listen } from './util.js';

const NOT_A_FIELD = /^(submit|button|reset|image|hidden)$/;

export function installForms(api) {
  return listen(document, 'submit', (e) => {
    const f = e.target;
    if (!(f instanceof HTMLFormElement) || f.closest('[data-tp-ignore]')) return;
    let fields = 0;
    for (const el of f.elements) if (/^(input|select|textarea)$/.test(el.localName) && !NOT_A_FIELD.test(el.type)) fields++;
    const attr = (k) => f.getAttribute(k) || undefined;
    api.track('form_submit', { ...dataProps(f), id: attr('id'), name: attr('name'),
      action: new URL(attr('action') || '', location.href).pathname,
      method: (attr('method') || 'get').toLowerCase(), fields });
  }, true);
}

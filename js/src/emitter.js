// Tiny event emitter for the public API (`touchpoint.on('tags', cb)`); a throwing listener never
// breaks the SDK or the other listeners.
export class Emitter {
  constructor() { this.listeners = new Map(); }
  on(name, cb) {
    if (typeof cb !== 'function') return () => {};
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(cb);
    return () => this.off(name, cb);
  }
  off(name, cb) { const s = this.listeners.get(name); if (s) s.delete(cb); }
  emit(name, payload) {
    const s = this.listeners.get(name);
    if (!s) return;
    for (const cb of [...s]) {
      try { cb(payload); } catch (err) { if (name !== 'error') this.emit('error', { code: 'listener_failed', message: String(err) }); }
    }
  }
}

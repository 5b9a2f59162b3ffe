// jsdom lacks the layout APIs React Flow measures with: give it a viewport.
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

class ResizeObserverStub {
  constructor(private cb: ResizeObserverCallback) {}
  observe(target: Element) {
    this.cb([{ target, contentRect: target.getBoundingClientRect() } as ResizeObserverEntry], this as unknown as ResizeObserver);
  }
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver = ResizeObserverStub as unknown as typeof ResizeObserver;

class DOMMatrixReadOnlyStub {
  m22: number;
  constructor(transform?: string) {
    const scale = transform?.match(/scale\(([0-9.]+)\)/)?.[1];
    this.m22 = scale !== undefined ? Number(scale) : 1;
  }
}
globalThis.DOMMatrixReadOnly = DOMMatrixReadOnlyStub as unknown as typeof DOMMatrixReadOnly;

// The React Flow canvas measures 1200 x 800; other elements their inline size, or 1 px.
const isCanvas = (el: HTMLElement) => el.classList.contains('react-flow');
Object.defineProperties(HTMLElement.prototype, {
  offsetHeight: { get() { return isCanvas(this) ? 800 : parseFloat(this.style.height) || 1; } },
  offsetWidth: { get() { return isCanvas(this) ? 1200 : parseFloat(this.style.width) || 1; } },
});
(SVGElement.prototype as unknown as { getBBox: () => DOMRect }).getBBox = () => ({ x: 0, y: 0, width: 0, height: 0 }) as DOMRect;

afterEach(cleanup);

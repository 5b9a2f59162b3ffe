import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { beforeEach, describe, expect, it } from 'vitest';
import { PANEL_DEFAULT, PANEL_MIN, ResizablePanel, savedPanelWidth } from './ResizablePanel';

function Harness({ initial }: { initial: number }) {
  const [width, setWidth] = useState(initial);
  return (
    <div>
      <ResizablePanel width={width} onResize={setWidth}>
        <p>content</p>
      </ResizablePanel>
    </div>
  );
}

const resizer = () => screen.getByRole('separator', { name: 'Resize the node panel' });
const width = () => Number(resizer().getAttribute('aria-valuenow'));

describe('the resizable node panel', () => {
  beforeEach(() => localStorage.clear());

  it('widens and narrows with the arrow keys, never below its minimum, and keeps the width', () => {
    render(<Harness initial={PANEL_DEFAULT} />);
    fireEvent.keyDown(resizer(), { key: 'ArrowLeft' });
    expect(width()).toBe(PANEL_DEFAULT + 40);
    expect(screen.getByTestId('node-panel-frame').style.width).toBe(`${PANEL_DEFAULT + 40}px`);
    expect(savedPanelWidth()).toBe(PANEL_DEFAULT + 40);
    fireEvent.keyDown(resizer(), { key: 'ArrowRight' });
    fireEvent.keyDown(resizer(), { key: 'ArrowRight' });
    expect(width()).toBe(PANEL_DEFAULT - 40);
    fireEvent.keyDown(resizer(), { key: 'End' });
    expect(width()).toBe(PANEL_MIN);
    fireEvent.keyDown(resizer(), { key: 'ArrowRight' });
    expect(width()).toBe(PANEL_MIN);
    expect(savedPanelWidth()).toBe(PANEL_MIN);
  });

  it('follows a drag of its left edge, and keeps the width where the drag ends', () => {
    render(<Harness initial={500} />);
    fireEvent.pointerDown(resizer(), { button: 0, clientX: 1000, pointerId: 1 });
    fireEvent.pointerMove(resizer(), { clientX: 900, pointerId: 1 });
    expect(width()).toBe(600);
    expect(savedPanelWidth()).toBe(PANEL_DEFAULT); // not kept while dragging
    fireEvent.pointerMove(resizer(), { clientX: 1100, pointerId: 1 });
    fireEvent.pointerUp(resizer(), { clientX: 1150, pointerId: 1 });
    expect(width()).toBe(350);
    expect(savedPanelWidth()).toBe(350);
    // A move after the drag ended changes nothing.
    fireEvent.pointerMove(resizer(), { clientX: 500, pointerId: 1 });
    expect(width()).toBe(350);
  });

  it('widens to all the canvas allows, and back', () => {
    render(<Harness initial={500} />);
    const widen = screen.getByTestId('panel-widen');
    expect(widen.getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(widen);
    // jsdom lays nothing out: the container has no width, so "all it allows" is the 2,000 px cap.
    expect(width()).toBe(2000);
    expect(widen.getAttribute('aria-pressed')).toBe('true');
    expect(widen.textContent).toBe('Narrow');
    fireEvent.click(widen);
    expect(width()).toBe(500);
    expect(savedPanelWidth()).toBe(500);
  });

  it('starts from the saved width, or the default when none (or nonsense) is saved', () => {
    expect(savedPanelWidth()).toBe(PANEL_DEFAULT);
    localStorage.setItem('recce.lineage.panelWidth', 'wide');
    expect(savedPanelWidth()).toBe(PANEL_DEFAULT);
    localStorage.setItem('recce.lineage.panelWidth', '700');
    expect(savedPanelWidth()).toBe(700);
  });
});

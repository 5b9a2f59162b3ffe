import { describe, expect, it } from 'vitest';
import tuvaJson from '../__fixtures__/tuva-lineage.json';
import { syntheticLineage } from '../__fixtures__/synthetic';
import type { Lineage } from '../api/types';
import { layeredLayout, NODE_HEIGHT, NODE_WIDTH } from './layout';

const tuva = tuvaJson as Lineage;
const ids = (l: Lineage) => l.nodes.map((n) => n.unique_id);

describe('layeredLayout', () => {
  it('places every parent left of its children (tuva)', () => {
    const pos = layeredLayout(ids(tuva), tuva.edges);
    expect(pos.size).toBe(tuva.nodes.length);
    for (const e of tuva.edges) expect(pos.get(e.source)!.x).toBeLessThan(pos.get(e.target)!.x);
  });

  it('never stacks two nodes on each other', () => {
    const pos = layeredLayout(ids(tuva), tuva.edges);
    const byColumn = new Map<number, number[]>();
    for (const p of pos.values()) byColumn.set(p.x, [...(byColumn.get(p.x) ?? []), p.y]);
    for (const ys of byColumn.values()) {
      ys.sort((a, b) => a - b);
      for (let i = 1; i < ys.length; i++) expect(ys[i] - ys[i - 1]).toBeGreaterThanOrEqual(NODE_HEIGHT);
    }
  });

  it('is deterministic', () => {
    const a = layeredLayout(ids(tuva), tuva.edges);
    const b = layeredLayout(ids(tuva), tuva.edges);
    expect([...a]).toEqual([...b]);
  });

  it('lays unlinked nodes out in a block of about the screen\'s shape, not in one column', () => {
    // The changed nodes of a large project seldom link to each other.
    const ids = Array.from({ length: 57 }, (_, i) => `model.p.changed_${String(i).padStart(2, '0')}`);
    const pos = layeredLayout(ids, []);
    const xs = [...pos.values()].map((p) => p.x);
    const ys = [...pos.values()].map((p) => p.y);
    const width = Math.max(...xs) - Math.min(...xs) + NODE_WIDTH;
    const height = Math.max(...ys) - Math.min(...ys) + NODE_HEIGHT;
    expect(width / height).toBeGreaterThan(1);
    expect(width / height).toBeLessThan(3);
    // Read in order, column by column.
    expect(pos.get(ids[0])).toEqual({ x: 0, y: 0 });
    expect(pos.get(ids[1])!.x).toBe(0);
  });

  it('packs linked parts and the unlinked nodes apart, without overlap', () => {
    const pos = layeredLayout(['a', 'b', 'c', 'd', 'lone1', 'lone2'], [
      { source: 'a', target: 'b' },
      { source: 'c', target: 'd' },
    ]);
    const boxes = [...pos.values()];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const apart = Math.abs(boxes[i].x - boxes[j].x) >= NODE_WIDTH || Math.abs(boxes[i].y - boxes[j].y) >= NODE_HEIGHT;
        expect(apart).toBe(true);
      }
    }
    expect(pos.get('a')!.x).toBeLessThan(pos.get('b')!.x);
    expect(pos.get('c')!.x).toBeLessThan(pos.get('d')!.x);
  });

  it('ignores edges to unknown nodes and self-loops, and survives a cycle', () => {
    const pos = layeredLayout(['a', 'b', 'c'], [
      { source: 'a', target: 'a' },
      { source: 'a', target: 'zzz' },
      { source: 'b', target: 'c' },
      { source: 'c', target: 'b' },
    ]);
    expect(pos.size).toBe(3);
    expect(pos.get('a')!.x).toBe(0);
  });

  it('lays out 5,000 synthetic nodes (time printed, not asserted)', () => {
    const l = syntheticLineage(5000);
    const t = performance.now();
    const pos = layeredLayout(ids(l), l.edges);
    console.log(`layout of 5,000 synthetic nodes and ${l.edges.length} edges: ${(performance.now() - t).toFixed(0)} ms`);
    for (const e of l.edges) expect(pos.get(e.source)!.x).toBeLessThan(pos.get(e.target)!.x);
  });
});

// The checklist, reorderable by dragging or with the keyboard (focus a
// handle, Space to pick up, arrows to move, Space to drop, Escape to cancel).
import {
  closestCenter,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { Link } from 'wouter';
import type { Check } from '../api/types';
import { move, TYPE_LABELS } from './types';
import { VerdictBadge } from './Verdict';
import { verdictOf } from './verdict';

/** The second line of an item: the type, and why for a check that did not come out clean. */
function subline(check: Check): string {
  const type = TYPE_LABELS[check.type] ?? check.type;
  const v = verdictOf(check);
  return v && (v.kind === 'incomplete' || v.kind === 'mismatch') && v.reason ? `${type} · ${v.reason}` : type;
}

function Item({ check, current }: { check: Check; current: boolean }) {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: check.check_id });
  const sub = subline(check);
  return (
    <li
      ref={setNodeRef}
      style={{ transform: CSS.Transform.toString(transform), transition }}
      className={`checklist__item${current ? ' checklist__item--current' : ''}${isDragging ? ' checklist__item--dragging' : ''}`}
      data-testid={`check-item-${check.check_id}`}
    >
      <button type="button" className="handle" aria-label={`Reorder ${check.name}`} {...attributes} {...listeners}>
        ⠿
      </button>
      <Link href={`/checks/${check.check_id}`} aria-current={current ? 'page' : undefined} className="checklist__link">
        <span className={check.is_checked ? 'approved' : 'pending'} aria-label={check.is_checked ? 'approved' : 'not approved'}>
          {check.is_checked ? '✔' : '○'}
        </span>
        <span className="checklist__text">
          <span className="checklist__name">{check.name}</span>
          <span className="checklist__sub muted small" title={sub}>
            {sub}
          </span>
        </span>
        <VerdictBadge check={check} />
        {check.is_checked && <span className="tag tag--approved">approved</span>}
      </Link>
    </li>
  );
}

export function CheckList({ checks, currentId, onReorder }: { checks: Check[]; currentId: string | null; onReorder: (ids: string[]) => void }) {
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const ids = checks.map((c) => c.check_id);
  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    onReorder(move(ids, ids.indexOf(String(active.id)), ids.indexOf(String(over.id))));
  };
  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
      <SortableContext items={ids} strategy={verticalListSortingStrategy}>
        <ol className="checklist" aria-label="Checklist" data-testid="checklist">
          {checks.map((c) => (
            <Item key={c.check_id} check={c} current={c.check_id === currentId} />
          ))}
        </ol>
      </SortableContext>
    </DndContext>
  );
}

// The create/add form every page ends with: its fields in one row, a submit button that waits while the
// call runs, and the API's problem under it. `below` sits under the row (extra choices), `after` under the
// problem (a result such as a secret shown once).
import type { FormEvent, ReactNode } from 'react';
import { ProblemNote } from './ui.tsx';

export function ActionForm(props: {
  title?: string;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSubmit(): void;
  children: ReactNode;
  below?: ReactNode;
  after?: ReactNode;
}) {
  function submit(event: FormEvent) {
    event.preventDefault();
    props.onSubmit();
  }
  return (
    <form className="actions" onSubmit={submit} aria-label={props.title ?? props.submitLabel}>
      {props.title && <h2>{props.title}</h2>}
      <div className="row">
        {props.children}
        <button type="submit" className="primary" disabled={props.pending}>
          {props.submitLabel}
        </button>
      </div>
      {props.below}
      <ProblemNote error={props.error} />
      {props.after}
    </form>
  );
}

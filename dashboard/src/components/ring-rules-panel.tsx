/** The assignment rules that send hosts to one ring; admins add and remove them (PUT /ring-rules replaces the whole list). */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { ringRules } from '../api/endpoints';
import type { RingRule } from '../api/types';
import { QueryView } from './query-state';
import { matchText, ruleMatchOf, rulesForRing, withoutRule, withRule } from './ring-rules';

const BLANK = { labels: '', osId: '', osVersion: '', role: '', criticality: '' };
const FIELDS: { key: keyof typeof BLANK; label: string; hint?: string }[] = [
  { key: 'labels', label: 'Host labels', hint: 'key=value, comma-separated; every one must match' },
  { key: 'osId', label: 'Operating system id', hint: 'e.g. ubuntu, windows' },
  { key: 'osVersion', label: 'Operating system version' },
  { key: 'role', label: 'Host role' },
  { key: 'criticality', label: 'Host criticality' },
];

export function RingRulesPanel({ ringId, ringName, canEdit }: { ringId: string; ringName: string; canEdit: boolean }) {
  const queries = useQueryClient();
  const list = useQuery({ queryKey: ['ring-rules'], queryFn: ringRules.list });
  const [form, setForm] = useState(BLANK);
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (items: RingRule[]) => ringRules.replace(items),
    onSuccess: (stored) => {
      queries.setQueryData(['ring-rules'], stored);
      setForm(BLANK);
    },
  });
  const add = (all: RingRule[]) => (e: FormEvent) => {
    e.preventDefault();
    const match = ruleMatchOf(form);
    if (typeof match === 'string') {
      setProblem(match);
      return;
    }
    setProblem(null);
    save.mutate(withRule(all, ringId, match));
  };
  return (
    <section className="panel" aria-labelledby="rules-h">
      <h2 id="rules-h">Assignment rules</h2>
      <p className="small muted">Hosts matching a rule go to the ring it names (pins first, then rules in order, then the shares). The next assignment run applies changes.</p>
      <QueryView query={list} what="the assignment rules">
        {({ items }) => {
          const mine = rulesForRing(items, ringId);
          return (
            <>
              {mine.length ? (
                <ul className="plain-list" aria-label={`Rules sending hosts to ${ringName}`}>
                  {mine.map(({ index, rule }) => (
                    <li key={index}>
                      Rule {index + 1}: {matchText(rule.match)}{' '}
                      {canEdit ? (
                        <button type="button" className="button-quiet" disabled={save.isPending} onClick={() => save.mutate(withoutRule(items, index))}>
                          Remove rule {index + 1}
                        </button>
                      ) : null}
                    </li>
                  ))}
                </ul>
              ) : (
                <p>No rule sends hosts to this ring.</p>
              )}
              {canEdit ? (
                <form onSubmit={add(items)} aria-labelledby="rule-add-h">
                  <h3 id="rule-add-h" className="small-heading">
                    Add a rule
                  </h3>
                  <div className="form-grid">
                    {FIELDS.map((fd) => (
                      <div className="field" key={fd.key}>
                        <label htmlFor={`rule-${fd.key}`}>{fd.label}</label>
                        <input id={`rule-${fd.key}`} maxLength={fd.key === 'labels' ? 2000 : 256} value={form[fd.key]} aria-describedby={fd.hint ? `rule-${fd.key}-hint` : undefined} onChange={(e) => setForm({ ...form, [fd.key]: e.target.value })} />
                        {fd.hint ? (
                          <span id={`rule-${fd.key}-hint`} className="small muted">
                            {fd.hint}
                          </span>
                        ) : null}
                      </div>
                    ))}
                  </div>
                  <button type="submit" disabled={save.isPending}>
                    Add rule
                  </button>
                </form>
              ) : null}
              <div aria-live="polite">
                {problem ? (
                  <p className="note note-error" role="alert">
                    Not added: {problem}
                  </p>
                ) : null}
                {save.error ? (
                  <p className="note note-error" role="alert">
                    {save.error instanceof ApiError ? `Not saved: ${save.error.message} (${save.error.code})` : String(save.error)}
                  </p>
                ) : null}
              </div>
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

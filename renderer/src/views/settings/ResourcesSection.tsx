/** Settings → Resources: one EC2 launch template per resource (type, image, network, disk). */
import { CheckField, SelectField, TextField } from '../../components/Field.js';
import { Fragment } from 'react';
import {
  emptyResource,
  keptResourceSettings,
  type ConfigDraft,
  type FieldId,
  type ResourceDraft,
} from '../../model/config-form.js';
import type { Edit, Shown } from '../../model/settings-form.js';
import { SETTING_PLACES } from '../../model/setting-places.js';

export function ResourcesSection({ draft, shown, edit }: { draft: ConfigDraft; shown: Shown; edit: Edit }) {
  const editResource = (uid: string, field: keyof ResourceDraft, value: ResourceDraft[keyof ResourceDraft]) =>
    edit(`resource:${uid}:${field}`, (d) => {
      const before = d.resources.find((r) => r.uid === uid);
      const resources = d.resources.map((r) => (r.uid === uid ? { ...r, [field]: value } : r));
      // Renaming a resource renames it in every queue that uses it.
      const queues =
        field === 'name' && before
          ? d.queues.map((q) => ({
              ...q,
              entries: q.entries.map((e) =>
                e.resource === before.name && typeof value === 'string' ? { ...e, resource: value } : e,
              ),
            }))
          : d.queues;
      return { ...d, resources, queues };
    });
  return (
    <fieldset className="card">
      <legend>
        <h2>Resources</h2>
      </legend>
      <p className="muted small">A resource is an EC2 launch template: instance type, image, network and disk.</p>
      {draft.resources.map((r) => (
        <ResourceEditor
          key={r.uid}
          r={r}
          shown={shown}
          onEdit={editResource}
          onRemove={() => edit('form', (d) => ({ ...d, resources: d.resources.filter((x) => x.uid !== r.uid) }))}
        />
      ))}
      <button
        type="button"
        onClick={() => edit('form', (d) => ({ ...d, resources: [...d.resources, emptyResource()] }))}
      >
        Add resource
      </button>
    </fieldset>
  );
}

type TextKey = { [K in keyof ResourceDraft]: ResourceDraft[K] extends string ? K : never }[keyof ResourceDraft];

function ResourceEditor({
  r,
  shown,
  onEdit,
  onRemove,
}: {
  r: ResourceDraft;
  shown: (id: FieldId) => string[];
  onEdit: (uid: string, field: keyof ResourceDraft, value: ResourceDraft[keyof ResourceDraft]) => void;
  onRemove: () => void;
}) {
  const f = (k: keyof ResourceDraft) => `resource:${r.uid}:${k}`;
  const text = (k: TextKey, label: string, hint?: string, placeholder?: string, number = false) => (
    <TextField
      label={label}
      value={r[k]}
      hint={hint}
      placeholder={placeholder}
      type={number ? 'number' : 'text'}
      issues={shown(f(k))}
      onChange={(x) => onEdit(r.uid, k, x)}
    />
  );
  return (
    <div className="subcard" role="group" aria-label={`Resource ${r.name || '(unnamed)'}`}>
      <div className="grid">
        {text('name', 'Resource name', 'Letters, digits, _ - . (used in worker names)')}
        {text('instanceType', 'Instance type', 'family.size, e.g. g4dn.xlarge', 'g4dn.xlarge')}
        <SelectField
          label="Market"
          value={r.market}
          options={[
            { value: 'on-demand', label: 'On-demand' },
            { value: 'spot', label: 'Spot' },
          ]}
          issues={shown(f('market'))}
          onChange={(x) => onEdit(r.uid, 'market', x)}
        />
        {text('amiId', 'AMI id', 'ami- followed by 8 to 17 hex digits', 'ami-0123456789abcdef0')}
        {text('subnetIds', 'Subnets (optional)', 'Tried in order; comma-separated', 'subnet-0123abcd')}
        {text('availabilityZones', 'Zones (optional)', 'Used when no subnet is given', 'us-east-1b')}
        {text('securityGroupIds', 'Security groups (optional)', 'Comma-separated', 'sg-0123abcd')}
        {text('keyName', 'SSH key pair (optional)')}
        {text('volumeSizeGiB', 'Disk size (GiB, optional)', '1 to 16384', '100', true)}
        {text('dockerImage', 'Docker image (optional)', 'Overrides the default image for this resource')}
        {r.market === 'spot' && (
          <CheckField
            label={SETTING_PLACES['resources.<name>.spotFallbackToOnDemand'].label}
            checked={r.spotFallbackToOnDemand}
            onChange={(x) => onEdit(r.uid, 'spotFallbackToOnDemand', x)}
          />
        )}
        <CheckField
          label="CPU only (no GPU drivers)"
          checked={r.cpuOnly}
          onChange={(x) => onEdit(r.uid, 'cpuOnly', x)}
        />
      </div>
      <KeptSettings r={r} />
      <button type="button" className="small danger" onClick={onRemove}>
        Remove resource {r.name}
      </button>
    </div>
  );
}

/** What the resource's config sets beyond the form's fields: shown, so an import can be checked, and kept on save. */
function KeptSettings({ r }: { r: ResourceDraft }) {
  const kept = keptResourceSettings(r.rest);
  if (!kept.length) return null;
  return (
    <div className="kept-settings small" data-testid="kept-settings">
      <p className="muted">
        Also applied at launch, from the configuration (kept as they are when you save; to change them, Export, edit the
        file and import it again):
      </p>
      <dl>
        {kept.map((k) => (
          <Fragment key={k.label}>
            <dt>{k.label}</dt>
            <dd>{k.value}</dd>
          </Fragment>
        ))}
      </dl>
    </div>
  );
}

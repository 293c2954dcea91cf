/** The one sentence a failed submit says about its invalid fields, naming them; pure so it is tested in node. */
import { plural } from './format.js';

/** ["API host", "AMI id"] → "2 fields need attention: API host, AMI id". */
export function attentionText(names: readonly string[]): string {
  const unique = [...new Set(names)];
  if (unique.length === 0) return 'fix the fields marked below first';
  return `${plural(unique.length, 'field')} ${unique.length === 1 ? 'needs' : 'need'} attention: ${unique.join(', ')}`;
}

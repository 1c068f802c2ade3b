/** The keyboard shortcuts dialog. */
import { For } from 'solid-js';
import { SHORTCUTS } from './shortcuts';

export function HelpDialog(props: { onClose: () => void }) {
  return (
    <div class="help" role="dialog" aria-label="Keyboard shortcuts">
      <h2>Keyboard shortcuts</h2>
      <table>
        <tbody>
          <For each={SHORTCUTS}>
            {([keys, what]) => (
              <tr>
                <td>
                  <kbd>{keys}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <button onClick={() => props.onClose()}>Close</button>
    </div>
  );
}

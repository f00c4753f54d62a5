import { Kbd } from '../../components/ui';
import { Modal } from '../../components/Modal';

const rows: [string[], string][] = [
  [['C'], 'Create an issue'],
  [['/'], 'Search issues'],
  [['J'], 'Next issue'],
  [['K'], 'Previous issue'],
  [['Enter'], 'Open the selected issue'],
  [['G', 'I'], 'Go to issues'],
  [['G', 'B'], 'Go to the board'],
  [['G', 'M'], 'Go to my issues'],
  [['Esc'], 'Close a dialog, leave a field'],
  [['?'], 'Show this help'],
];

export function ShortcutHelp({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  return (
    <Modal open={open} onOpenChange={onOpenChange} title="Keyboard shortcuts">
      <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 p-4 text-sm">
        {rows.map(([k, what]) => (
          <div key={what} className="contents">
            <dt className="flex gap-1">
              {k.map((x) => (
                <Kbd key={x}>{x}</Kbd>
              ))}
            </dt>
            <dd className="text-muted">{what}</dd>
          </div>
        ))}
      </dl>
    </Modal>
  );
}

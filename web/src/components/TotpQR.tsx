import { QRCodeSVG } from 'qrcode.react';

export function otpauthURI(secret: string, account: string, issuer = 'IssueTracker'): string {
  return `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?secret=${secret}&issuer=${encodeURIComponent(issuer)}`;
}

/** The authenticator QR code, with the secret spelled out for manual entry. */
export function TotpQR({ uri, secret }: { uri: string; secret: string }) {
  return (
    <div className="flex flex-col items-center gap-2">
      <div className="rounded-lg border border-line bg-white p-2">
        <QRCodeSVG value={uri} size={168} title="Scan with your authenticator app" />
      </div>
      <p className="text-center text-xs text-muted">
        Can’t scan? Enter this key:
        <br />
        <code className="font-mono text-ink select-all" data-testid="totp-secret">
          {secret.replace(/(.{4})/g, '$1 ').trim()}
        </code>
      </p>
    </div>
  );
}

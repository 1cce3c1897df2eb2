import type { AnchorHTMLAttributes } from 'react';
import { onLinkClick } from '../router';

/** A real link (keyboard, middle-click, copy address) that navigates without a reload. */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  return <a {...props} onClick={onLinkClick} />;
}

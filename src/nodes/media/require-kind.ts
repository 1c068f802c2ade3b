/**
 * The check every media filter makes on what arrives: the right kind of packet, or a `NodeError`
 * naming the pin, after closing the packet it will not use.
 */
import type { NodeContext, Packet } from '../../engine';
import { closePacket } from '../../engine';

const WHAT: Partial<Record<Packet['kind'], string>> = { raw_audio: 'raw audio', raw_video: 'raw video' };

/** Asserts `packet` is of `kind`; otherwise closes it and throws `expects raw audio, got …`. */
export function requireKind<K extends Packet['kind']>(
  ctx: NodeContext<unknown>,
  packet: Packet,
  kind: K,
  pin = 'in',
): asserts packet is Extract<Packet, { kind: K }> {
  if (packet.kind === kind) return;
  closePacket(packet);
  throw ctx.error(`expects ${WHAT[kind] ?? kind}, got ${packet.kind}`, { pin });
}

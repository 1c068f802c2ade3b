/** The studio scene editor's model of a compositor: boxes from params, edits back to params. */
import { describe, expect, it } from 'vitest';
import { addText, parseScene, removeItem, restack, sceneItems, updateItem } from '../../src/studio/scene-model';

const raw = {
  width: 640,
  height: 360,
  layers: { in_0: { opacity: 0.5 } },
  text_overlays: [{ text: 'hi', rect: { x: 1, y: 2, width: 30, height: 10 }, z_index: 3 }],
};

function items(params: Record<string, unknown>, pins = ['in_0', 'in_1']) {
  const parsed = parseScene(params);
  if (!('params' in parsed)) throw new Error(parsed.error);
  return sceneItems(parsed.params, pins);
}

describe('scene model', () => {
  it('lists layers (default places included) and overlays, bottom first', () => {
    const list = items(raw);
    expect(list.map((i) => i.key)).toEqual(['layer:in_0', 'layer:in_1', 'text:0']);
    expect(list[0]).toMatchObject({ rect: { x: 0, y: 0, width: 640, height: 360 }, opacity: 0.5 });
    expect(list[1]?.rect).toEqual({ x: 640 - 213 - 20, y: 360 - 120 - 20, width: 213, height: 120 });
  });

  it('moves a default-placed layer without making it jump in the stack', () => {
    const pip = items(raw)[1];
    if (!pip) throw new Error('no pip');
    const edit = updateItem(raw, pip, { rect: { ...pip.rect, x: 10 } });
    expect(edit.param).toBe('layers');
    expect((edit.value as Record<string, unknown>).in_1).toEqual({ rect: { ...pip.rect, x: 10 }, z_index: 1 });
    // The explicit layer keeps what it had.
    expect((edit.value as Record<string, unknown>).in_0).toEqual({ opacity: 0.5 });
  });

  it('restacks, adds and removes', () => {
    const list = items(raw);
    const bottom = list[0];
    if (!bottom) throw new Error('no layer');
    const front = restack(raw, list, bottom, 'front');
    expect((front.value as Record<string, { z_index: number }>).in_0?.z_index).toBe(4);
    const added = addText(raw, list);
    expect(added.value).toHaveLength(2);
    expect((added.value as { z_index: number }[])[1]?.z_index).toBe(4);
    const text = list[2];
    if (!text) throw new Error('no text');
    expect(removeItem(raw, text)).toEqual({ param: 'text_overlays', value: [] });
    expect(removeItem(raw, bottom)).toEqual({ param: 'layers', value: {} });
  });

  it('says why params it cannot show are wrong', () => {
    expect(parseScene({ layers: { in_0: { opacity: 3 } } })).toMatchObject({
      error: expect.stringContaining('layers.in_0.opacity') as string,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/common/table.js';

describe('formatTable', () => {
  it('sizes each column to its widest cell, text left and numbers right by default', () => {
    expect(
      formatTable(
        ['mode', 'ms'],
        [
          ['forward', '1.50'],
          ['fb', '12.25'],
        ],
      ),
    ).toBe(['mode        ms', 'forward   1.50', 'fb       12.25'].join('\n'));
  });

  it('takes an alignment per column and trims trailing blanks', () => {
    expect(formatTable(['a', 'b', 'device'], [['x', '1', 'cpu']], ['left', 'right', 'left'])).toBe(
      ['a  b  device', 'x  1  cpu'].join('\n'),
    );
  });
});

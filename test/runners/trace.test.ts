import { describe, expect, it } from 'vitest';
import { kernelEventsOf, parsePrintedProfile } from '../../src/runners/trace.js';

/** A profile as onnxruntime-web prints it on stdout in Node: one event per line between `[` and `]`. */
const printed = (events: object[]): string => `[\n${events.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`;

describe("ONNX Runtime's profile as onnxruntime-web prints it", () => {
  const kernel = (name: string, ts: number, dur: number) => ({
    cat: 'Node',
    name: `${name}_kernel_time`,
    ts,
    dur,
    args: { op_name: 'Conv', provider: 'CPUExecutionProvider' },
  });
  const events = [
    { cat: 'Session', name: 'session_initialization', ts: 1, dur: 50 },
    kernel('conv1.conv', 110, 30),
    { cat: 'Session', name: 'model_run', ts: 100, dur: 40 },
    kernel('conv1.conv', 210, 20),
    { cat: 'Node', name: 'SequentialExecutor::Execute', ts: 205, dur: 25 },
    { cat: 'Session', name: 'model_run', ts: 200, dur: 30 },
  ];

  it('reads the JSON array out of what was printed, and says when there is none', () => {
    expect(parsePrintedProfile(printed(events))).toEqual(events);
    expect(parsePrintedProfile(`some line\n${printed(events)}`)).toHaveLength(events.length);
    expect(() => parsePrintedProfile('')).toThrow(/printed no profile/);
  });

  it('gives one kernel event per node and run, numbered by the model_run events (printed after their kernels)', () => {
    expect(kernelEventsOf(parsePrintedProfile(printed(events)))).toEqual([
      { node: 'conv1.conv', op: 'Conv', provider: 'CPUExecutionProvider', dur: 30, run: 0, clock: 'host' },
      { node: 'conv1.conv', op: 'Conv', provider: 'CPUExecutionProvider', dur: 20, run: 1, clock: 'host' },
    ]);
  });
});

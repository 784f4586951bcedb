import type { Page } from 'playwright-core';

/** What `startLivenessProbe` saw in the page. */
export interface Liveness {
  /** The longest time between two animation frames since the probe started. */
  maxFrameGapMs: number;
  frames: number;
  /** Each line of the log, when a frame first showed it (page time, ms). */
  lines: { t: number; text: string }[];
  /** Each text the step counter had, in order (also those no frame showed). */
  progress: string[];
  /** The step counter texts that frames showed. */
  progressShown: string[];
}

/**
 * Starts watching the page: a requestAnimationFrame loop measuring the gaps between frames (a page whose thread is
 * busy draws none) and noting the log lines and step counter each frame shows, and an observer of every text the
 * counter had. Read it from `window.liveness`.
 */
export async function startLivenessProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const live: Liveness = { maxFrameGapMs: 0, frames: 0, lines: [], progress: [], progressShown: [] };
    (window as unknown as { liveness: Liveness }).liveness = live;
    const log = document.getElementById('log')!;
    const progress = document.getElementById('progress')!;
    let last = performance.now();
    const frame = (): void => {
      const now = performance.now();
      live.maxFrameGapMs = Math.max(live.maxFrameGapMs, now - last);
      last = now;
      live.frames++;
      // a line counts as arrived when a frame shows it: DOM changes made while the thread is busy show up together
      const lines = log.textContent!.split('\n').filter(Boolean);
      for (const text of lines.slice(live.lines.length)) live.lines.push({ t: now, text });
      const counter = progress.textContent!;
      if (counter && counter !== live.progressShown.at(-1)) live.progressShown.push(counter);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    new MutationObserver(() => {
      const text = progress.textContent!;
      if (text && text !== live.progress.at(-1)) live.progress.push(text);
    }).observe(progress, { childList: true, characterData: true, subtree: true });
  });
}

/** What a drawn chart looks like, measured in the page. */
export interface ChartCheck {
  /** Points per line. */
  points: number[];
  legend: string[];
  /** Texts that reach outside the chart's box (cut off). */
  outside: string[];
  legendOverPlot: boolean;
  xTicks: number[];
  yTicks: number[];
  yLabelsOverTitle: boolean;
}

/** Measures the page's chart (`#chart svg`) with the browser's own text boxes. */
export function checkChart(page: Page): Promise<ChartCheck> {
  return page.evaluate(() => {
    const svg = document.querySelector<SVGSVGElement>('#chart svg')!;
    const [w, h] = [svg.viewBox.baseVal.width, svg.viewBox.baseVal.height];
    const box = (e: Element): DOMRect => (e as SVGGraphicsElement).getBBox();
    const overlap = (a: DOMRect, b: DOMRect): boolean =>
      a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    // a rotated title's box is in its own (unrotated) coordinates: take its on-screen box, relative to the svg
    const screen = (e: Element): DOMRect => {
      const r = e.getBoundingClientRect();
      const s = svg.getBoundingClientRect();
      return new DOMRect(r.x - s.x, r.y - s.y, r.width, r.height);
    };
    const texts = [...svg.querySelectorAll('text')];
    const plot = box(svg.querySelector('rect.plot')!);
    const title = screen(svg.querySelector('.y-title')!);
    const yLabels = [...svg.querySelectorAll('.y-tick')];
    return {
      points: [...svg.querySelectorAll('polyline')].map((l) => l.getAttribute('points')!.split(' ').length),
      legend: [...svg.querySelectorAll('.legend text')].map((t) => t.textContent!),
      outside: texts
        .map((t) => [t.textContent!, screen(t)] as const)
        .filter(([, b]) => b.x < 0 || b.y < 0 || b.x + b.width > w || b.y + b.height > h)
        .map(([s]) => s),
      legendOverPlot: [...svg.querySelectorAll('.legend')].some((g) => overlap(box(g), plot)),
      xTicks: [...svg.querySelectorAll('.x-tick')].map((t) => Number(t.textContent)),
      yTicks: yLabels.map((t) => Number(t.textContent)),
      yLabelsOverTitle: yLabels.some((t) => overlap(screen(t), title)),
    };
  });
}

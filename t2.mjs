import ort from 'onnxruntime-node';
import fs from 'node:fs';
const f = process.argv[2];
fs.mkdirSync('/tmp/prof', {recursive: true});
const s = await ort.InferenceSession.create(f, { executionProviders: [process.argv[3] ?? 'webgpu'], enableProfiling: true, profileFilePrefix: '/tmp/prof/p' });
const x = new ort.Tensor('float32', new Float32Array(3*67*67).fill(0.1), [1,3,67,67]);
await s.run({ images: x });
s.endProfiling();
const file = fs.readdirSync('/tmp/prof').map(n => '/tmp/prof/'+n).sort((a,b)=>fs.statSync(b).mtimeMs-fs.statSync(a).mtimeMs)[0];
const ev = JSON.parse(fs.readFileSync(file,'utf8'));
const prov = {};
for (const e of ev) if (e.cat === 'Node' && e.args?.provider) { prov[e.args.provider] ??= new Set(); prov[e.args.provider].add(e.args.op_name + ':' + e.name.replace(/_kernel_time$/, '')); }
for (const [p, set] of Object.entries(prov)) console.log(p, set.size, p.startsWith('CPU') ? [...set].join(' ') : '');
console.log(ev.filter(e=>e.cat==='Node')[0]);

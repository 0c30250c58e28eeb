#!/usr/bin/env bash
# Makes perplexity-c512.json: llama-perplexity v0.5.0 over 512-token chunks of golden/ppl-text.txt three times, on the
# stories260K fixtures. Usage (from the repository root): tests/Wafer.Models.Tests/Golden/LongContext/make_golden.sh
set -euo pipefail
bin="${LLAMA_BIN:-$(../shared/tools/build_llama_cpp.sh)}"
text="$(mktemp)"; trap 'rm -f "$text" "$text.out" "$text.err"' EXIT
cat ../shared/golden/ppl-text.txt ../shared/golden/ppl-text.txt ../shared/golden/ppl-text.txt > "$text"
out=tests/Wafer.Models.Tests/Golden/LongContext/perplexity-c512.json
python3 - "$bin" "$text" "$out" <<'PY'
import json, re, subprocess, sys, datetime
bin, text, out = sys.argv[1:]
args = ["-t", "2", "-c", "512", "-b", "512", "-fa", "off", "-ctk", "f32", "-ctv", "f32"]
models = []
for model in ["models/stories260K.gguf", "models/stories260K-Q8_0.gguf"]:
    for attempt in range(5):  # the last lines of llama-perplexity's output do not always arrive through a pipe; run again
        with open(text + ".out", "w") as o, open(text + ".err", "w") as e:
            subprocess.run([bin + "/llama-perplexity", "-m", "../shared/" + model, "-f", text] + args, stdout=o, stderr=e, check=True)
        log = open(text + ".out").read() + open(text + ".err").read()
        running = [float(v) for v in re.findall(r"\[\d+\]([0-9.]+)", log)]
        final = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", log)
        if final and running: break
    models.append({"file": model, "n_chunks": len(running), "running_ppl": running,
                   "final_ppl": float(final.group(1)), "final_ppl_stderr": float(final.group(2))})
json.dump({"header": {"tool": "llama-perplexity -m MODEL -f TEXT " + " ".join(args), "llama_cpp": "v0.5.0 (node-llama-cpp 3.22.1's gitRelease.bundle, ../shared/tools/build_llama_cpp.sh)",
                      "text": "golden/ppl-text.txt three times, concatenated", "generated": datetime.date.today().isoformat()},
           "models": models}, open(out, "w"), indent=1)
print(open(out).read())
PY

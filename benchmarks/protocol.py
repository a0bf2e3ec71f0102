"""One full MNIST run of the paper's protocol on this machine: CE for 40 epochs on 54,000 images, T̂, then
forward correction with T̂ for 40 epochs (asymmetric noise 0.2, seed 0). Prints the wall time of each stage.
Run: ``LNC_DATA_DIR=... python benchmarks/protocol.py`` (about 1.5 minutes on 2 CPU cores)."""

import time

import torch

from lnc.experiments.protocol import run_protocol


def main():
    start = time.perf_counter()
    records = run_protocol(
        "mnist", noise="asymmetric", rate=0.2, methods=("ce", "forward_est"), device="cpu", progress=False
    )
    total = time.perf_counter() - start
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {records[0]['device']}")
    for r in records:
        print(
            f"{r['method']:<12} {r['epochs']} epochs  {r['wall_time_s']:6.1f} s  test accuracy {r['test_accuracy']:.4f}"
        )
    print(f"{'total':<12} (load, noise, CE, estimate T_hat, forward_est) {total:6.1f} s")


if __name__ == "__main__":
    main()

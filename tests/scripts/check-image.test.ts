// scripts/check-image.ts: its pure helpers only. The check itself (a real podman build and run)
// is run by .ci/run after the tests, never from here.
import { describe, expect, it } from "vitest";
import {
  CONTAINERS_CONF,
  kernelFeatureMissing,
  parseImageMB,
  parseUid,
  STAND_IN_MESSAGE,
  summaryLine,
  tail,
} from "../../scripts/check-image.ts";

describe("check-image helpers", () => {
  it("prints the figures on one line", () => {
    const line = summaryLine({ buildSeconds: 88.04, imageMB: 925.6, first200Ms: 701.4, rebuildSeconds: 32.25, stopSeconds: 0.144, base: "stand-in" });
    expect(line).toBe("check:image ok: build 88.0 s, image 926 MB, first 200 701 ms, rebuild 32.3 s, stop 0.14 s (base: stand-in)");
    expect(line).not.toContain("\n");
  });

  it("reads podman's image size in bytes as decimal MB", () => {
    expect(parseImageMB("925600000\n")).toBeCloseTo(925.6);
    expect(() => parseImageMB("")).toThrow(/unexpected image size/);
    expect(() => parseImageMB("926 MB")).toThrow(/unexpected image size/);
  });

  it("reads `id -u`", () => {
    expect(parseUid("1000\n")).toBe(1000);
    expect(parseUid("0")).toBe(0);
    expect(() => parseUid("uid=1000(node)")).toThrow(/unexpected/);
  });

  it("tells missing kernel features from other podman failures", () => {
    expect(kernelFeatureMissing("Error: cannot set up namespace using newuidmap: exit status 1")).toMatch(/^no user namespaces/);
    expect(kernelFeatureMissing("Error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2")).toMatch(/^no usable cgroups/);
    expect(kernelFeatureMissing("Error: runc: unshare: operation not permitted")).toMatch(/not permitted/);
    // Real failures must fail the check, not skip it.
    expect(kernelFeatureMissing("Error: short-name resolution enforced but cannot prompt without a TTY")).toBeUndefined();
    expect(kernelFeatureMissing("Error: no space left on device")).toBeUndefined();
    expect(kernelFeatureMissing("")).toBeUndefined();
  });

  it("keeps the last non-empty lines of output", () => {
    expect(tail("a\n\nb\nc\n\n", 2)).toBe("b\nc");
  });

  it("configures podman for these VMs", () => {
    for (const line of ['runtime = "runc"', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"', '"nofile=20000:20000"']) {
      expect(CONTAINERS_CONF).toContain(line);
    }
    expect(STAND_IN_MESSAGE).toMatch(/stand-in/);
  });
});

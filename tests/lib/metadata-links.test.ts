// The metadata link: shared people and keywords find movies and are named in the reasons.
import { describe, expect, it } from "vitest";
import { fallbackRank } from "../../lib/fallback.ts";
import { buildMetadataIndex, metadataLinks, metadataMatches } from "../../lib/metadata-links.ts";
import { candidate, rerankInput } from "../helpers/rerank-fixture.ts";

const movies = [
  { id: 1, directors: ["Vince Gilligan"], writers: ["Vince Gilligan"], cast: ["Aaron Paul"], keywords: ["drug dealer", "new mexico"] },
  { id: 2, directors: ["Someone Else"], cast: ["Aaron Paul"], keywords: ["new mexico"] },
  { id: 3, directors: ["Nobody Shared"], keywords: ["romance"] },
  { id: 4 },
];
const series = { creators: ["Vince Gilligan"], cast: ["Bryan Cranston", "Aaron Paul"], keywords: ["drug dealer", "new mexico", "chemistry"] };

describe("metadata links", () => {
  it("ranks a film the series' creator directed above one that only shares an actor, and leaves out the unlinked", () => {
    const found = metadataMatches(buildMetadataIndex(movies), series).map((m) => m.id);
    expect(found[0]).toBe(1);
    expect(found).toContain(2);
    expect(found).not.toContain(3);
    expect(found).not.toContain(4);
  });

  it("finds nothing without metadata, instead of failing", () => {
    expect(metadataMatches(buildMetadataIndex([{ id: 1 }, { id: 2 }]), {})).toEqual([]);
  });

  it("says who the movie shares and in which role, and the shared keywords rarest first", () => {
    const index = buildMetadataIndex(movies);
    const links = metadataLinks(series, movies[0], index);
    expect(links.people[0]).toEqual({ name: "Vince Gilligan", role: "directed", inSeries: "created" });
    expect(links.people.map((p) => p.name)).toEqual(["Vince Gilligan", "Aaron Paul"]);
    expect(links.keywords).toEqual(["drug dealer", "new mexico"]);
  });

  it("names the shared creator in the fallback's reason, then the shared themes", () => {
    const c = candidate(1, { score: 1, because: [1], links: { people: [{ name: "Vince Gilligan", role: "directed", inSeries: "created" }], keywords: ["drug dealer"] } });
    const reason = fallbackRank(rerankInput({ candidates: [c], limit: 1 })).picks[0].reason;
    expect(reason).toBe("Directed by Vince Gilligan, who created Breaking Bad. Both are about drug dealer.");
  });

  it("names shared keywords when no person is shared", () => {
    const c = candidate(1, { score: 1, because: [1], links: { people: [], keywords: ["money laundering", "desert"] } });
    expect(fallbackRank(rerankInput({ candidates: [c], limit: 1 })).picks[0].reason).toMatch(/^Like Breaking Bad, it is about money laundering and desert\./);
  });
});

/**
 * The egress policy parses its built-in ranges once per module, on the first check. Stryker
 * credits the code that builds them to whichever test happens to check first, and runs only
 * that test against their mutants (a label emptied, an embedded form dropped), which then
 * survive whatever the other tests assert. Checking an address here, outside any test, makes
 * that code shared by every test, so each of those mutants is run against all of them.
 */
import { createEgressPolicy } from '../../src/adapters/http/egress-policy.js';

try {
  createEgressPolicy({ allow: [], deny: [], denyLoopback: false, denyPrivate: false }).checkAddress('::');
} catch {
  // A mutant that breaks the ranges (a CIDR emptied) throws here and again in every test that
  // checks an address, which is where it must count as killed, not as an error outside the tests.
}

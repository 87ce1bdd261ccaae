/**
 * One value per owner (a store, usually), made on first use and dropped with the owner: the
 * caches and batchers that must be shared by every service over one database, and by nothing
 * over another.
 */
export function perOwner<T>(create: () => T): (owner: object) => T {
  const values = new WeakMap<object, T>();
  return (owner) => {
    let value = values.get(owner);
    if (value === undefined) values.set(owner, (value = create()));
    return value;
  };
}

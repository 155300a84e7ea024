/* global rs, db, quit -- mongosh globals */
// The mongo service's healthcheck (mongosh): initiates the one-node replica set rs0 on first
// start, and succeeds only once this node is the writable primary. Transactions, which the
// workers' flush needs, exist only on a replica set.
try {
  rs.status();
} catch (err) {
  if (err.codeName !== 'NotYetInitialized') throw err;
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] });
}
if (!db.hello().isWritablePrimary) quit(1);

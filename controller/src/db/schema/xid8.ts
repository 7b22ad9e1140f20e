import { customType } from 'drizzle-orm/pg-core';

/** PostgreSQL's 64-bit transaction id (`xid8`), read and written as decimal text. */
export const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

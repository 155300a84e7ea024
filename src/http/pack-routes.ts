import { Router } from 'express';
import { PackFlow, type PackFlowOptions } from './pack-flow';

/** `POST /` (answers the stats) and `POST /pack` (answers Paccurate's own answer, stats in a header). */
export function packRoutes(options: PackFlowOptions): Router {
  const flow = new PackFlow(options);
  const router = Router();
  router.post('/', flow.handler('/'));
  router.post('/pack', flow.handler('/pack'));
  return router;
}

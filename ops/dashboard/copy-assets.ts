import { copyDashboardAssets } from '../../src/dashboard/assets';

/** The last step of `npm run build`: the dashboard's copied files beside its compiled script. */
copyDashboardAssets();

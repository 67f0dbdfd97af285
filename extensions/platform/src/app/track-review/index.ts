import { defineModule } from '@directus/extensions-sdk';
import { forPlatformPeople } from '../shared/module-access.ts';
import TrackReview from './track-review.vue';

export default defineModule({
  id: 'track-review',
  name: 'Track review',
  icon: 'route',
  routes: [{ path: '', component: TrackReview }],
  preRegisterCheck: forPlatformPeople,
});

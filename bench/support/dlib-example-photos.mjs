/** test/fixtures/photos, where the bench photos are. */
export const PHOTO_FOLDER = new URL('../../test/fixtures/photos/', import.meta.url).pathname;

/** dlib's examples/faces/*.jpg, as test/fixtures/photos holds them (byte for byte): 68 faces at upsample 1. */
export const DLIB_EXAMPLE_PHOTOS = [
  '2007_007763.jpg',
  '2008_001009.jpg',
  '2008_001322.jpg',
  '2008_002079.jpg',
  '2008_002470.jpg',
  '2008_002506.jpg',
  '2008_004176.jpg',
  '2008_007676.jpg',
  '2009_004587.jpg',
  'Tom_Cruise_avp_2014_4.jpg',
  'bald_guys.jpg',
  'dogs.jpg',
];

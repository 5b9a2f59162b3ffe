// Which review the screens work on: the local one (/api/...) or a merge
// request's session (/api/mr/{iid}/...). Lineage, Query and Checks read it
// through their hooks, so the same screens serve both.
import { createContext, type ReactNode, useContext } from 'react';
import { api, type ReviewApi } from './client';

const ReviewContext = createContext<ReviewApi>(api);

export function ReviewProvider({ review, children }: { review: ReviewApi; children: ReactNode }) {
  return <ReviewContext.Provider value={review}>{children}</ReviewContext.Provider>;
}

/** The API of the review being shown (the local review outside any session). */
export const useReviewApi = () => useContext(ReviewContext);

import { useCallback, useEffect, useState } from 'react';

export interface RemoteData<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads the data again, keeping the current data on screen until the new data arrives. */
  reload: () => void;
}

/** Loads data when the component mounts and whenever `deps` change. */
export function useRemoteData<T>(load: () => Promise<T>, deps: readonly unknown[]): RemoteData<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(undefined);
    load().then(
      (result) => {
        if (!current) return;
        setData(result);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!current) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
    // The caller lists what `load` depends on in `deps`.
  }, [...deps, version]);

  const reload = useCallback(() => setVersion((value) => value + 1), []);
  return { data, error, loading, reload };
}
